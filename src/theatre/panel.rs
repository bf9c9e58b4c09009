//! The presenter's controls in the side panel: the briefings to start, previous / next /
//! autoplay / stop, a jump to any step, and the errors of files that do not read.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui;
use twinhall_core::config::Lang;

use super::library::Library;
use super::player::Theatre;
use crate::context::TheatreCommand;

/// What the side panel needs of the theatre.
#[derive(SystemParam)]
pub struct TheatreUi<'w> {
    library: Res<'w, Library>,
    theatre: Res<'w, Theatre>,
    commands: MessageWriter<'w, TheatreCommand>,
}

impl TheatreUi<'_> {
    /// Whether the side panel is hidden for the presentation.
    pub fn hide_panel(&self) -> bool {
        self.theatre.hide_panel
    }

    pub fn is_playing(&self) -> bool {
        self.theatre.is_playing()
    }

    pub fn show(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let mut asked = Vec::new();
        let playing = self.theatre.playing.as_ref();
        egui::CollapsingHeader::new(lang.tr("视觉中枢 · 决策剧场", "Visual hub · decision theatre"))
            .default_open(true)
            .show(ui, |ui| {
                if let Some(p) = playing {
                    let theme = &p.briefing.theme;
                    ui.label(egui::RichText::new(theme.title.get(lang)).strong());
                    ui.horizontal(|ui| {
                        if ui.add_enabled(p.step > 0, egui::Button::new(lang.tr("◀ 上一步", "◀ Previous"))).clicked()
                        {
                            asked.push(TheatreCommand::Prev);
                        }
                        let last = p.step + 1 >= p.briefing.steps.len();
                        if ui.add_enabled(!last, egui::Button::new(lang.tr("下一步 ▶", "Next ▶"))).clicked() {
                            asked.push(TheatreCommand::Next);
                        }
                        let auto = if p.autoplay {
                            lang.tr("⏸ 暂停", "⏸ Pause")
                        } else {
                            lang.tr("⏵ 自动", "⏵ Autoplay")
                        };
                        if ui.button(auto).clicked() {
                            asked.push(TheatreCommand::ToggleAutoplay);
                        }
                        if ui.button(lang.tr("■ 结束", "■ Stop")).clicked() {
                            asked.push(TheatreCommand::Stop);
                        }
                    });
                    for (i, s) in p.briefing.steps.iter().enumerate() {
                        let text = format!("{}. {}", i + 1, s.title.get(lang));
                        if ui.selectable_label(i == p.step, text).clicked() && i != p.step {
                            asked.push(TheatreCommand::Goto(i));
                        }
                    }
                    ui.label(
                        egui::RichText::new(lang.tr(
                            "翻页笔 / 方向键 / PageUp PageDown 切换，P 自动播放，H 隐藏面板，Esc 结束",
                            "Clicker / arrows / PageUp PageDown step, P autoplay, H hides the panel, Esc stops",
                        ))
                        .small()
                        .weak(),
                    );
                    ui.separator();
                }
                if self.library.entries.is_empty() && self.library.errors.is_empty() {
                    ui.label(lang.tr("scenes/ 中尚无剧本", "No briefings in scenes/ yet"));
                }
                for e in &self.library.entries {
                    let b = &e.briefing;
                    let current = playing.is_some_and(|p| p.briefing.theme.id == b.theme.id);
                    let text = format!("{} · {} {}", b.theme.title.get(lang), b.steps.len(), lang.tr("步", "steps"));
                    if ui.selectable_label(current, text).on_hover_text(b.theme.subtitle.get(lang)).clicked() {
                        asked.push(TheatreCommand::Start { theme: b.theme.id.clone(), step: 0 });
                    }
                }
                for err in &self.library.errors {
                    ui.colored_label(egui::Color32::from_rgb(255, 110, 100), err.to_string());
                }
            });
        for c in asked {
            self.commands.write(c);
        }
    }
}
