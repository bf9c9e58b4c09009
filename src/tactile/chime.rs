//! The chime: a short two-note tone (bevy_audio) when an alert of at least
//! `tactile.chime_severity` opens, unless muted in the config or the panel. The tone is made in
//! code (a WAV in memory), so there is no file to lose; at most one chime a second, however many
//! alerts open at once. With no audio device (a server, Xvfb) bevy_audio says so once and the
//! rest of the app runs on.

use std::time::{Duration, Instant};

use bevy::audio::{AudioPlayer, AudioSource, PlaybackSettings, Volume};
use bevy::prelude::*;

use super::Tactile;
use super::engine::AlertOpened;
use crate::context::Settings;

/// Sample rate of the chime, Hz.
const RATE: u32 = 22_050;
/// The notes (Hz) and how long each sounds (s): a falling fifth, as a hall's PA announces.
const NOTES: [(f32, f32); 2] = [(987.77, 0.22), (659.25, 0.42)];
/// The least time between two chimes.
const GAP: Duration = Duration::from_secs(1);

/// The chime's sound, made once.
#[derive(Resource)]
struct Chime(Handle<AudioSource>);

pub(super) fn plugin(app: &mut App) {
    // Headless apps (tests) have no audio plugin: no chime, nothing else changes.
    if app.is_plugin_added::<bevy::audio::AudioPlugin>() {
        app.add_systems(Startup, make_chime).add_systems(Update, ring.in_set(crate::context::AppSystems::Analyse));
    }
}

/// The chime as a 16-bit mono PCM WAV file: each note a sine with its octave, struck and decaying.
pub fn chime_wav() -> Vec<u8> {
    let mut samples: Vec<i16> = Vec::new();
    for (freq, secs) in NOTES {
        let n = (secs * RATE as f32) as usize;
        for i in 0..n {
            let t = i as f32 / RATE as f32;
            // A 5 ms attack against clicks, then an exponential decay.
            let envelope = (t / 0.005).min(1.0) * (-t * 7.0).exp();
            let tone = (std::f32::consts::TAU * freq * t).sin() + 0.3 * (std::f32::consts::TAU * 2.0 * freq * t).sin();
            samples.push((tone / 1.3 * envelope * 0.6 * f32::from(i16::MAX)) as i16);
        }
    }
    let data_len = (samples.len() * 2) as u32;
    let mut wav = Vec::with_capacity(44 + data_len as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&RATE.to_le_bytes());
    wav.extend_from_slice(&(RATE * 2).to_le_bytes()); // bytes per second
    wav.extend_from_slice(&2u16.to_le_bytes()); // block align
    wav.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        wav.extend_from_slice(&s.to_le_bytes());
    }
    wav
}

fn make_chime(mut commands: Commands, mut sources: ResMut<Assets<AudioSource>>) {
    let handle = sources.add(AudioSource { bytes: chime_wav().into() });
    commands.insert_resource(Chime(handle));
}

fn ring(
    mut commands: Commands,
    mut opened: MessageReader<AlertOpened>,
    settings: Res<Settings>,
    tactile: Option<Res<Tactile>>,
    chime: Option<Res<Chime>>,
    mut last: Local<Option<Instant>>,
) {
    let least = settings.config.tactile.chime_severity;
    let severe = opened.read().filter(|a| a.severity >= least).count();
    let muted = tactile.is_none_or(|t| t.muted);
    let (Some(chime), false) = (chime, muted) else { return };
    if severe == 0 || last.is_some_and(|t| t.elapsed() < GAP) {
        return;
    }
    *last = Some(Instant::now());
    commands.spawn((AudioPlayer(chime.0.clone()), PlaybackSettings::DESPAWN.with_volume(Volume::Linear(0.8))));
}
