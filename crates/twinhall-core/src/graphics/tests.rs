use super::*;
use crate::lang::Lang;

/// A CJK character is 1 wide, anything else half that.
fn w(c: char) -> f32 {
    if is_cjk(c) { 1.0 } else { 0.5 }
}

fn width(s: &str) -> f32 {
    s.chars().map(w).sum()
}

fn wrap(text: &str, max: f32) -> Vec<String> {
    wrap_cjk(text, max, w)
}

/// Every rule of the line breaker on `lines`, the wrapping of `text` at `max`.
fn check_rules(text: &str, max: f32, lines: &[String]) {
    for (n, line) in lines.iter().enumerate() {
        assert!(width(line) <= max + 1e-3, "line {n} `{line}` is wider than {max}: {lines:?}");
        let first = line.chars().next().expect("no empty line");
        assert!(!is_no_start(first), "line {n} starts with `{first}` at {max}: {lines:?}");
        let last = line.chars().next_back().expect("no empty line");
        assert!(!is_no_end(last), "line {n} ends with `{last}` at {max}: {lines:?}");
        assert!(!line.starts_with(' ') && !line.ends_with(' '), "spaces at a break are dropped: {lines:?}");
    }
    // In lines of six characters or more, one more always fits beside a lone last one (at
    // three, "报 12 / 起。" cannot be helped: "12 起。" is wider than the line).
    if lines.len() > 1 && max >= 6.0 {
        let last = lines.last().expect("lines");
        let letters = last.chars().filter(|c| is_cjk(*c) && !is_no_start(*c) && !is_no_end(*c)).count();
        let others = last.chars().any(|c| !is_cjk(c) && !is_no_start(c) && !is_no_end(c));
        assert!(letters != 1 || others, "one character alone on the last line at {max}: {lines:?}");
    }
    // Nothing is lost: the lines are the text less the spaces the breaks took.
    let joined: String = lines.concat();
    let squeezed: String = text.chars().filter(|c| *c != ' ').collect();
    assert_eq!(joined.chars().filter(|c| *c != ' ').collect::<String>(), squeezed, "at {max}");
}

#[test]
fn latin_words_break_at_spaces_and_lose_the_space() {
    let lines = wrap("the quick brown fox jumps", 5.0);
    assert_eq!(lines, ["the quick", "brown fox", "jumps"]);
    check_rules("the quick brown fox jumps", 5.0, &lines);
}

#[test]
fn cjk_text_breaks_between_any_two_characters() {
    assert_eq!(wrap("一二三四五六七八九十", 4.0), ["一二三四", "五六七八", "九十"]);
    // Latin inside Chinese keeps its words whole, and a break may come next to them.
    assert_eq!(wrap("综合指数82.4分", 5.0), ["综合指数", "82.4分"]);
}

#[test]
fn no_line_starts_with_closing_punctuation() {
    // Greedy would start the second line with "。": the character before it goes down too.
    assert_eq!(wrap("一二三四。五六", 4.0), ["一二三", "四。五六"]);
    // "）。" together, with the character before them.
    assert_eq!(wrap("甲乙（丙丁）。戊己庚", 6.0), ["甲乙（丙", "丁）。戊己庚"]);
    for p in ["，", "；", "：", "！", "？", "、", "」", "』", "】", "》", "〉", "…", "%", "％"] {
        let text = format!("一二三四{p}五六七八");
        let lines = wrap(&text, 4.0);
        assert!(!lines[1].starts_with(p), "{p}: {lines:?}");
        check_rules(&text, 4.0, &lines);
    }
}

#[test]
fn no_line_ends_with_opening_punctuation() {
    assert_eq!(wrap("一二三（四五）", 4.0), ["一二三", "（四五）"]);
    for p in ["（", "「", "『", "【", "《", "〈", "“", "‘"] {
        let text = format!("一二三{p}四五六七");
        let lines = wrap(&text, 4.0);
        assert!(!lines[0].ends_with(p), "{p}: {lines:?}");
        check_rules(&text, 4.0, &lines);
    }
}

#[test]
fn the_last_line_is_never_one_character_alone() {
    // Greedy: "一二三四 / 五六七八 / 出。" — one more character goes down.
    assert_eq!(wrap("一二三四五六七八出。", 4.0), ["一二三四", "五六七", "八出。"]);
    assert_eq!(wrap("一二三四五六七八九", 4.0), ["一二三四", "五六七", "八九"]);
    // One line is fine as it is, and so is a short Latin word at the end.
    assert_eq!(wrap("出。", 4.0), ["出。"]);
    assert_eq!(wrap("一二三四 ok", 4.0), ["一二三四", "ok"]);
}

#[test]
fn a_word_wider_than_the_line_is_cut_between_characters() {
    let lines = wrap("go abcdefghijkl now", 3.0);
    assert_eq!(lines, ["go", "abcdef", "ghijkl", "now"]);
    // Even a width under one character gives every character a line, and ends.
    assert_eq!(wrap("一二", 0.5), ["一", "二"]);
}

#[test]
fn newlines_start_paragraphs_and_an_empty_text_has_no_lines() {
    assert_eq!(wrap("一二\n\n三四五六七", 4.0), ["一二", "", "三四五", "六七"]);
    assert!(wrap("", 4.0).is_empty());
    // No width to wrap at: only the newlines break.
    assert_eq!(wrap_cjk("一二三\n四", f32::INFINITY, w), ["一二三", "四"]);
    assert_eq!(wrap_cjk("一二三", 0.0, w), ["一二三"]);
}

#[test]
fn narration_keeps_every_rule_at_every_width() {
    let texts = [
        "城市管理指数 78.0，综合指数 82.4。当前在办城市管理类事件 3 起、生态环境类 1 起，近一小时新增上报 12 起。",
        "公共安全事件突发性强、后果重，指挥调度的关键在一个快字：快发现、快研判、快处置。",
        "物联感知设备当前告警 5 处，已在图上标出；告警最多的设备类型是“烟感”（2 处）。",
        "城市管理贵在日常：市容秩序、市政设施、环境卫生问题量大面广，单件不大，积少成多就会直接影响群众感受。",
        "Rule of law scores 81.7, the overall index 82.4; 3 disputes are open and 12 incidents were closed today.",
    ];
    for text in texts {
        for tenth in 30..=300 {
            let max = tenth as f32 / 10.0;
            let lines = wrap(text, max);
            check_rules(text, max, &lines);
        }
    }
}

#[test]
fn ellipsize_cuts_to_the_width_with_an_ellipsis() {
    assert_eq!(ellipsize("城市管理", 4.0, w), "城市管理");
    assert_eq!(ellipsize("城市管理", 3.0, w), "城市…");
    assert_eq!(ellipsize("public order", 3.0, w), "publi…");
    assert_eq!(ellipsize("城市管理", 0.2, w), "");
}

#[test]
fn a_count_axis_starts_at_zero_with_whole_ticks() {
    // All zero: 0 and 1, never −1.
    let a = count_axis(0.0, 5);
    assert_eq!((a.min, a.max, a.ticks.clone()), (0.0, 1.0, vec![0.0, 1.0]));
    let a = count_axis(13.0, 5);
    assert_eq!(a.ticks, [0.0, 5.0, 10.0, 15.0]);
    let a = count_axis(3.0, 6);
    assert_eq!(a.ticks, [0.0, 1.0, 2.0, 3.0]);
    for max in [0.4, 1.0, 2.0, 7.0, 12.0, 13.0, 99.0, 101.0, 400.0, 12_345.0] {
        for n in 2..8 {
            let a = count_axis(max, n);
            assert_eq!(a.min, 0.0, "{max} {n}");
            assert!(a.max >= max && a.ticks.len() <= n && a.ticks.len() >= 2, "{max} {n}: {a:?}");
            assert!(a.ticks.iter().all(|t| t.fract() == 0.0 && *t >= 0.0), "{max} {n}: {a:?}");
        }
    }
}

#[test]
fn a_value_axis_rounds_out_to_round_steps() {
    let a = value_axis(81.3, 86.4, 5, false, false);
    assert_eq!(a.step, 2.0);
    assert_eq!((a.min, a.max), (80.0, 88.0));
    // One value: a little room around it.
    let a = value_axis(82.4, 82.4, 4, false, false);
    assert!(a.min < 82.4 && a.max > 82.4 && a.ticks.len() <= 4, "{a:?}");
    // Nonsense in: a sane axis out.
    let a = value_axis(f64::NAN, 3.0, 4, true, true);
    assert_eq!((a.min, a.max), (0.0, 1.0));
}

#[test]
fn a_time_axis_has_round_steps_and_says_how_long_ago() {
    // Twenty seconds of data: ticks every 10 s, not "0′" three times.
    let t = time_axis(20.0, 4);
    assert_eq!(t.ticks, [0.0, -10.0, -20.0]);
    let t = time_axis(1_500.0, 4);
    assert_eq!(t.step_s, 600.0);
    assert_eq!(t.ticks, [0.0, -600.0, -1200.0]);
    let t = time_axis(7.0 * 86_400.0, 4);
    assert_eq!(t.step_s, 172_800.0);
    assert_eq!(time_label(0.0, Lang::Zh), "现在");
    assert_eq!(time_label(-600.0, Lang::Zh), "10 分钟前");
    assert_eq!(time_label(-7_200.0, Lang::En), "2 h ago");
}

#[test]
fn a_trend_needs_three_points() {
    assert!(!trend_ready(0) && !trend_ready(2));
    assert!(trend_ready(MIN_TREND_POINTS) && trend_ready(100));
}

/// Whether any two shown names overlap under `layout`.
fn names_overlap(layout: LabelLayout, widths: &[f32], slot: f32, row_h: f32) -> bool {
    let shown: Vec<usize> = (0..widths.len()).filter(|&i| label_shown(layout.plan, i)).collect();
    match layout.plan {
        // Parallel strips `row_h` thick whose centre lines are `slot` apart along x.
        LabelPlan::Slanted => slot * std::f32::consts::FRAC_1_SQRT_2 < row_h,
        plan => shown.iter().enumerate().any(|(a, &i)| {
            shown[a + 1..].iter().any(|&j| {
                let same_row = plan != LabelPlan::Staggered || i % 2 == j % 2;
                let (ci, cj) = (i as f32 * slot, j as f32 * slot);
                same_row && (ci + widths[i] / 2.0 > cj - widths[j] / 2.0)
            })
        }),
    }
}

#[test]
fn nine_category_names_never_run_together() {
    // The nine categories at 8.25 points a character, in a chart 228 points wide.
    let names = ["矛盾纠纷", "治安", "消防", "交通", "城市管理", "环境", "公共卫生", "安全生产", "其他"];
    let widths: Vec<f32> = names.iter().map(|n| n.chars().count() as f32 * 8.25).collect();
    let slot = 228.0 / 9.0;
    let layout = plan_labels(&widths, slot, 10.0, 60.0);
    assert_ne!(layout.plan, LabelPlan::Level, "level they would run together");
    assert!(!names_overlap(layout, &widths, slot, 10.0), "{layout:?}");
    // And at every slot and band, whatever the plan.
    let english = ["dispute", "public order", "fire", "traffic", "city management", "environment", "public health"];
    let en: Vec<f32> = english.iter().map(|n| n.len() as f32 * 5.0).collect();
    for widths in [&widths, &en] {
        for slot in [8.0, 12.0, 16.0, 25.0, 40.0, 80.0] {
            for band in [10.0, 25.0, 60.0, 200.0] {
                let layout = plan_labels(widths, slot, 10.0, band);
                assert!(!names_overlap(layout, widths, slot, 10.0), "{slot} {band}: {layout:?}");
                assert!(layout.band <= band.max(10.0) + 1e-3, "{slot} {band}: {layout:?}");
            }
        }
    }
}

#[test]
fn names_are_set_level_then_staggered_then_slanted_then_thinned() {
    let row = 10.0;
    assert_eq!(plan_labels(&[20.0; 5], 30.0, row, 50.0).plan, LabelPlan::Level);
    assert_eq!(plan_labels(&[40.0; 5], 30.0, row, 50.0).plan, LabelPlan::Staggered);
    // Too wide for two rows, room enough to turn them.
    let l = plan_labels(&[70.0; 5], 30.0, row, 80.0);
    assert_eq!(l.plan, LabelPlan::Slanted);
    assert!(l.band >= 70.0 * std::f32::consts::FRAC_1_SQRT_2);
    // No room below to turn them: every third.
    assert_eq!(plan_labels(&[70.0; 9], 30.0, row, 20.0).plan, LabelPlan::Every(3));
    assert!(label_shown(LabelPlan::Every(3), 6) && !label_shown(LabelPlan::Every(3), 7));
}

#[test]
fn names_past_the_ends_are_measured() {
    // Level and inside their slots: no overhang.
    assert_eq!(label_overhang(LabelPlan::Level, &[20.0, 20.0], 30.0, 10.0), (0.0, 0.0));
    // Staggered 40 wide in 30: 5 past each end.
    assert_eq!(label_overhang(LabelPlan::Staggered, &[40.0, 40.0, 40.0], 30.0, 10.0), (5.0, 5.0));
    // Slanted names reach left, hardly right.
    let (l, r) = label_overhang(LabelPlan::Slanted, &[70.0; 3], 30.0, 10.0);
    assert!(l > 30.0 && r == 0.0, "{l} {r}");
}

#[test]
fn a_legend_wraps_or_shrinks_to_fit_its_box() {
    // Three entries of 40 in rows of 100: two rows.
    assert_eq!(flow(&[40.0, 40.0, 40.0], 100.0, 8.0), [(0, 0.0), (0, 48.0), (1, 0.0)]);
    // An entry wider than the row has one to itself.
    assert_eq!(flow(&[40.0, 150.0, 40.0], 100.0, 8.0), [(0, 0.0), (1, 0.0), (2, 0.0)]);
    // Fits at once.
    let f = fit_legend(&[40.0; 4], 10.0, 8.0, 100.0, 40.0, 0.6, true);
    assert_eq!((f.scale, f.rows, f.shown), (1.0, 4, 4));
    // One to a row needs 80 of 60: the font shrinks until it fits.
    let f = fit_legend(&[40.0; 8], 10.0, 8.0, 100.0, 60.0, 0.6, true);
    assert!(f.rows as f32 * 10.0 * f.scale <= 60.0 + 1e-3 && f.shown == 8, "{f:?}");
    // Still too many at the smallest font: side by side.
    let f = fit_legend(&[40.0; 12], 10.0, 8.0, 100.0, 40.0, 0.6, true);
    assert!(f.rows as f32 * 10.0 * f.scale <= 40.0 + 1e-3 && f.shown == 12, "{f:?}");
    // Every place is inside the box.
    for f in [fit_legend(&[90.0, 30.0, 130.0, 20.0, 60.0], 12.0, 6.0, 100.0, 30.0, 0.6, false)] {
        let widths = [90.0, 30.0, 130.0, 20.0, 60.0];
        for (i, &(row, x)) in f.places.iter().enumerate() {
            assert!(x + (widths[i] * f.scale).min(100.0) <= 100.0 + 1e-3, "{f:?}");
            assert!((row + 1) as f32 * 12.0 * f.scale <= 30.0 + 1e-3, "{f:?}");
        }
    }
}

#[test]
fn every_two_category_colours_are_far_apart() {
    for (i, a) in CATEGORY_COLOURS.iter().enumerate() {
        for b in &CATEGORY_COLOURS[i + 1..] {
            let d = delta_e76(*a, *b);
            assert!(d >= 25.0, "{a:?} and {b:?} are only ΔE {d:.1} apart");
        }
    }
    // The pie's severities 3 and 4 (the third and fourth elements) are no longer one red.
    assert!(delta_e76(category_colour(2), category_colour(3)) >= 25.0);
    assert_eq!(category_colour(12), category_colour(0));
}

#[test]
fn category_colours_stand_out_from_the_cards() {
    for c in CATEGORY_COLOURS {
        assert!(delta_e76(c, CARD_FILL) >= 50.0, "{c:?}");
    }
}

#[test]
fn lab_of_known_colours() {
    let close = |a: [f64; 3], b: [f64; 3]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 0.05);
    assert!(close(lab([255, 255, 255]), [100.0, 0.0, 0.0]), "{:?}", lab([255, 255, 255]));
    assert!(close(lab([0, 0, 0]), [0.0, 0.0, 0.0]));
    assert!(close(lab([255, 0, 0]), [53.24, 80.09, 67.20]), "{:?}", lab([255, 0, 0]));
}
