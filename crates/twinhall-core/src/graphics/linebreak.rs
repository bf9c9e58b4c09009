//! Line breaking for the wall's cards, by the rules of Chinese typesetting (禁则): Latin words
//! break at spaces, CJK text between any two characters, except that
//!
//! - no line starts with closing punctuation (`）」』】》〉，。、；：！？…%` and their kin): the
//!   character before it goes down with it;
//! - no line ends with opening punctuation (`（「『【《〈“‘`): it goes down with what follows;
//! - the last line of a paragraph of more than one line is never one CJK character alone (with
//!   its trailing punctuation, "出。"): one more goes down with it.
//!
//! Widths come from the caller (egui's glyph advances on the wall, fixed numbers in tests), so
//! this is pure and knows nothing of fonts.

/// Characters no line may start with: closing brackets and quotes, pause, stop and the like,
/// iteration marks, small kana, the prolonged sound mark, per cent and degree signs.
const NO_START: &str = "）」』】》〉〕〗〙〛｝］｠〞〟’”»›)]}，。、；：！？．，､｡…‥％‰℃°·・ー〜～々〻ゝゞヽヾぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ,.;:!?%";

/// Characters no line may end with: opening brackets and quotes, currency signs.
const NO_END: &str = "（「『【《〈〔〖〘〚｛［｟〝“‘«‹([{￥＄¥$£€";

/// Whether `c` is set as a character of its own, with a break allowed on either side: CJK
/// ideographs, kana, hangul, CJK symbols and punctuation, full-width forms.
pub fn is_cjk(c: char) -> bool {
    matches!(
        c as u32,
        0x1100..=0x11FF
            | 0x2E80..=0x2FFF
            | 0x3000..=0x303F
            | 0x3040..=0x30FF
            | 0x3100..=0x31FF
            | 0x3200..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7AF
            | 0xF900..=0xFAFF
            | 0xFE10..=0xFE1F
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFFEF
            | 0x20000..=0x3134F
    )
}

/// Whether no line may start with `c` (closing punctuation and its kin).
pub fn is_no_start(c: char) -> bool {
    NO_START.contains(c)
}

/// Whether no line may end with `c` (opening punctuation).
pub fn is_no_end(c: char) -> bool {
    NO_END.contains(c)
}

/// A space between words (a break may be taken there, and the space is dropped). The
/// ideographic space (U+3000, an indent) and the no-break space are not.
fn is_space(c: char) -> bool {
    c.is_whitespace() && c != '\u{3000}' && c != '\u{A0}'
}

/// What may not be broken: one CJK character, a Latin word (or number), or several of those
/// held together by the rules, with the space before it (dropped when a line starts with it).
#[derive(Clone, Debug)]
struct Cluster {
    glue: String,
    glue_width: f32,
    text: String,
    width: f32,
}

/// A unit of the text before the rules join them: a CJK character or a run of other
/// characters that are not spaces.
struct Atom {
    text: String,
    width: f32,
}

/// Slack for sums of widths that equal the line's width.
const EPS: f32 = 1e-3;

/// Breaks `text` into lines no wider than `max_width` (in the units of `width_of`, which gives
/// each character's advance), greedily, by the rules of this module. A `\n` in the text starts
/// a new paragraph (an empty one gives an empty line). A word or a run of characters held
/// together that is wider than a line on its own is cut between characters. With a
/// `max_width` that is not positive or not finite, only the `\n`s break. An empty text gives no
/// lines.
pub fn wrap_cjk(text: &str, max_width: f32, mut width_of: impl FnMut(char) -> f32) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    let wrap = max_width.is_finite() && max_width > 0.0;
    let mut out = Vec::new();
    for paragraph in text.split('\n') {
        let paragraph = paragraph.strip_suffix('\r').unwrap_or(paragraph);
        let clusters = cluster_paragraph(paragraph, &mut width_of);
        if clusters.is_empty() {
            out.push(String::new());
            continue;
        }
        if !wrap {
            out.push(line_text(&clusters, 0..clusters.len()));
            continue;
        }
        let clusters = split_wide(clusters, max_width, &mut width_of);
        for range in fit(&clusters, max_width) {
            out.push(line_text(&clusters, range));
        }
    }
    out
}

/// `text` cut to `max_width` with an ellipsis (`…`) at its end when it is wider; whole when it
/// fits. Empty when not even the ellipsis fits.
pub fn ellipsize(text: &str, max_width: f32, mut width_of: impl FnMut(char) -> f32) -> String {
    let widths: Vec<(char, f32)> = text.chars().map(|c| (c, width_of(c))).collect();
    let total: f32 = widths.iter().map(|(_, w)| w).sum();
    if total <= max_width + EPS {
        return text.to_owned();
    }
    let dots = width_of('…');
    if dots > max_width + EPS {
        return String::new();
    }
    let mut out = String::new();
    let mut used = dots;
    for (c, w) in widths {
        if used + w > max_width + EPS {
            break;
        }
        used += w;
        out.push(c);
    }
    // A cut word does not keep the space before it.
    let mut out = out.trim_end().to_owned();
    out.push('…');
    out
}

/// The paragraph's atoms joined into clusters where the rules forbid a break between them.
fn cluster_paragraph(paragraph: &str, width_of: &mut impl FnMut(char) -> f32) -> Vec<Cluster> {
    let mut out: Vec<Cluster> = Vec::new();
    let mut space = String::new();
    let mut space_width = 0.0;
    let mut last_char: Option<char> = None;
    let mut chars = paragraph.chars().peekable();
    while let Some(c) = chars.next() {
        if is_space(c) {
            space.push(c);
            space_width += width_of(c);
            continue;
        }
        let atom = if is_cjk(c) {
            Atom { text: c.to_string(), width: width_of(c) }
        } else {
            let mut text = c.to_string();
            let mut width = width_of(c);
            while let Some(&n) = chars.peek() {
                if is_space(n) || is_cjk(n) {
                    break;
                }
                text.push(n);
                width += width_of(n);
                chars.next();
            }
            Atom { text, width }
        };
        let first = atom.text.chars().next().unwrap_or(' ');
        let atom_last = atom.text.chars().next_back().unwrap_or(' ');
        let held = is_no_start(first) || last_char.is_some_and(is_no_end);
        if out.is_empty() {
            // The paragraph's first: an indent stays with it.
            let mut text = std::mem::take(&mut space);
            text.push_str(&atom.text);
            out.push(Cluster { glue: String::new(), glue_width: 0.0, text, width: space_width + atom.width });
        } else if held {
            // Held to what comes before, with any space between.
            let current = out.last_mut().expect("a cluster before");
            current.text.push_str(&space);
            current.width += space_width;
            current.text.push_str(&atom.text);
            current.width += atom.width;
            space.clear();
        } else {
            // A break is allowed: a new cluster, the space before it as its glue.
            out.push(Cluster {
                glue: std::mem::take(&mut space),
                glue_width: space_width,
                text: atom.text,
                width: atom.width,
            });
        }
        space_width = 0.0;
        last_char = Some(atom_last);
    }
    out
}

/// Clusters wider than a line cut between characters into pieces that fit (at least one
/// character each).
fn split_wide(clusters: Vec<Cluster>, max_width: f32, width_of: &mut impl FnMut(char) -> f32) -> Vec<Cluster> {
    let mut out = Vec::with_capacity(clusters.len());
    for c in clusters {
        if c.width <= max_width + EPS {
            out.push(c);
            continue;
        }
        let mut glue = c.glue;
        let mut glue_width = c.glue_width;
        let mut piece = String::new();
        let mut width = 0.0;
        for ch in c.text.chars() {
            let w = width_of(ch);
            if !piece.is_empty() && width + w > max_width + EPS {
                out.push(Cluster {
                    glue: std::mem::take(&mut glue),
                    glue_width,
                    text: std::mem::take(&mut piece),
                    width,
                });
                glue_width = 0.0;
                width = 0.0;
            }
            piece.push(ch);
            width += w;
        }
        if !piece.is_empty() {
            out.push(Cluster { glue, glue_width, text: piece, width });
        }
    }
    out
}

/// Greedy lines (ranges of clusters), then the last line's lone character given company.
fn fit(clusters: &[Cluster], max_width: f32) -> Vec<std::ops::Range<usize>> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut width = 0.0;
    for (i, c) in clusters.iter().enumerate() {
        if i == start {
            width = c.width;
            continue;
        }
        let w = width + c.glue_width + c.width;
        if w <= max_width + EPS {
            width = w;
        } else {
            lines.push(start..i);
            start = i;
            width = c.width;
        }
    }
    lines.push(start..clusters.len());
    let n = lines.len();
    if n >= 2 {
        let last = lines[n - 1].clone();
        let prev = lines[n - 2].clone();
        if last.len() == 1 && prev.len() >= 2 && is_lone_cjk(&clusters[last.start].text) {
            let moved = &clusters[prev.end - 1];
            let orphan = &clusters[last.start];
            if moved.width + orphan.glue_width + orphan.width <= max_width + EPS {
                lines[n - 2].end -= 1;
                lines[n - 1].start -= 1;
            }
        }
    }
    lines
}

/// One CJK character, with nothing beside it but punctuation and spaces.
fn is_lone_cjk(text: &str) -> bool {
    let mut n = 0;
    for c in text.chars() {
        if c.is_whitespace() || is_no_start(c) || is_no_end(c) {
            continue;
        }
        if !is_cjk(c) {
            return false;
        }
        n += 1;
    }
    n == 1
}

/// The text of a line: its clusters with the spaces between them, none before the first.
fn line_text(clusters: &[Cluster], range: std::ops::Range<usize>) -> String {
    let mut s = String::new();
    for (k, c) in clusters[range].iter().enumerate() {
        if k > 0 {
            s.push_str(&c.glue);
        }
        s.push_str(&c.text);
    }
    s
}
