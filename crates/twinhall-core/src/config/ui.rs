//! The `[ui]` section: the language.

use serde::{Deserialize, Serialize};

use crate::lang::Lang;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    pub lang: Lang,
}
