//! The language of the wall's text (`[ui] lang`): every on-screen string is picked through
//! [`Lang::tr`]. A leaf: it depends on nothing else in the crate, so any module that words
//! something can use it (`crate::config::Lang` re-exports it).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// Picks the text for this language; every on-screen string goes through here.
    pub fn tr(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Self::Zh => zh,
            Self::En => en,
        }
    }

    /// A length of time in the largest whole unit that fits: "45 秒", "15 分钟", "3 小时",
    /// "370 天" / "45 s", "15 min", "3 h", "370 d".
    pub fn span(self, seconds: f64) -> String {
        let s = seconds.max(0.0) as u64;
        let (n, zh, en) = match s {
            0..60 => (s, "秒", "s"),
            60..3_600 => (s / 60, "分钟", "min"),
            3_600..86_400 => (s / 3_600, "小时", "h"),
            _ => (s / 86_400, "天", "d"),
        };
        format!("{n} {}", self.tr(zh, en))
    }

    /// How long ago, from a span: "15 分钟前" / "15 min ago".
    pub fn ago(self, seconds: f64) -> String {
        match self {
            Self::Zh => format!("{}前", self.span(seconds)),
            Self::En => format!("{} ago", self.span(seconds)),
        }
    }

    /// A label and what it labels, with the language's colon: "推荐预案：消防救援" /
    /// "Plan: fire response". English text never carries the full-width "：".
    pub fn labelled(self, label: &str, value: impl std::fmt::Display) -> String {
        match self {
            Self::Zh => format!("{label}：{value}"),
            Self::En => format!("{label}: {value}"),
        }
    }

    /// A note in brackets after the words it explains, with the space English puts before it:
    /// "（最近 157 m）" / " (nearest 157 m)".
    pub fn bracket(self, note: impl std::fmt::Display) -> String {
        match self {
            Self::Zh => format!("（{note}）"),
            Self::En => format!(" ({note})"),
        }
    }

    /// What goes between clauses or the items of a running list: "，" / ", ".
    pub fn comma(self) -> &'static str {
        self.tr("，", ", ")
    }

    /// What goes between names in a list: "、" / ", ".
    pub fn list_sep(self) -> &'static str {
        self.tr("、", ", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_punctuation_is_half_width() {
        let en = [
            Lang::En.labelled("Plan", "fire"),
            format!("hydrants{}", Lang::En.bracket("nearest 157 m")),
            ["a", "b"].join(Lang::En.comma()),
            ["a", "b"].join(Lang::En.list_sep()),
        ];
        assert_eq!(en[0], "Plan: fire");
        assert_eq!(en[1], "hydrants (nearest 157 m)");
        for s in &en {
            assert!(!s.chars().any(|c| "：（），；。、".contains(c)), "{s}");
        }
        assert_eq!(Lang::Zh.labelled("推荐预案", "消防"), "推荐预案：消防");
        assert_eq!(format!("消火栓{}", Lang::Zh.bracket("最近 157 m")), "消火栓（最近 157 m）");
    }
}
