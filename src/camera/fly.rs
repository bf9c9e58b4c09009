//! Smooth fly-to a lon/lat/altitude with heading and pitch, and the bookmarks from config
//! (keys 1-9, or the side panel). Any manual camera input cancels a flight.

use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

use crate::context::{AppSystems, City, FlyTo, OrbitCamera, Settings};

/// A flight in progress on a camera.
#[derive(Component, Clone, Copy, Debug)]
pub struct Flight {
    from: OrbitCamera,
    to: OrbitCamera,
    elapsed_s: f32,
    duration_s: f32,
}

pub(super) fn plugin(app: &mut App) {
    app.add_message::<FlyTo>().add_systems(
        Update,
        (fly_to_bookmark_keys, start_flights, advance_flights)
            .chain()
            .in_set(AppSystems::Camera)
            .before(super::orbit::OrbitSystems),
    );
}

fn fly_to_bookmark_keys(
    keys: Res<ButtonInput<KeyCode>>,
    settings: Res<Settings>,
    city: Option<Res<City>>,
    egui_input: Option<Res<EguiWantsInput>>,
    mut fly: MessageWriter<FlyTo>,
) {
    if egui_input.is_some_and(|e| e.wants_keyboard_input()) {
        return;
    }
    const DIGITS: [KeyCode; 9] = [
        KeyCode::Digit1,
        KeyCode::Digit2,
        KeyCode::Digit3,
        KeyCode::Digit4,
        KeyCode::Digit5,
        KeyCode::Digit6,
        KeyCode::Digit7,
        KeyCode::Digit8,
        KeyCode::Digit9,
    ];
    let Some(city) = city else { return };
    for (key, bookmark) in DIGITS.iter().zip(city.bookmarks(&settings.config.camera)) {
        if keys.just_pressed(*key) {
            fly.write(bookmark.into());
        }
    }
}

/// The orbit state a fly-to ends in.
pub fn target_orbit(city: &City, to: &FlyTo) -> OrbitCamera {
    let p = city.model.frame.to_local(to.lonlat);
    OrbitCamera {
        focus: Vec3::new(p[0] as f32, to.altitude_m, -p[1] as f32),
        distance_m: to.distance_m,
        pitch: to.pitch_deg.to_radians(),
        heading: to.heading_deg.to_radians(),
    }
}

fn start_flights(
    mut commands: Commands,
    mut requests: MessageReader<FlyTo>,
    city: Res<City>,
    settings: Res<Settings>,
    cams: Query<(Entity, &OrbitCamera)>,
) {
    let Some(request) = requests.read().last() else {
        return;
    };
    let to = target_orbit(&city, request);
    for (entity, orbit) in &cams {
        commands.entity(entity).insert(Flight {
            from: *orbit,
            to,
            elapsed_s: 0.0,
            duration_s: settings.config.camera.fly_seconds,
        });
    }
}

/// Interpolates two orbit states with an ease-in-out curve; heading takes the short way round.
pub fn interpolate(a: &OrbitCamera, b: &OrbitCamera, t: f32) -> OrbitCamera {
    let s = t * t * (3.0 - 2.0 * t);
    let mut dh = (b.heading - a.heading).rem_euclid(std::f32::consts::TAU);
    if dh > std::f32::consts::PI {
        dh -= std::f32::consts::TAU;
    }
    // Rise while travelling far, so a long flight overviews the city instead of skimming it.
    let travel = a.focus.distance(b.focus);
    let hop = (travel * 0.6 - a.distance_m.max(b.distance_m)).max(0.0) * 4.0 * s * (1.0 - s);
    OrbitCamera {
        focus: a.focus.lerp(b.focus, s),
        distance_m: a.distance_m + (b.distance_m - a.distance_m) * s + hop,
        pitch: a.pitch + (b.pitch - a.pitch) * s,
        heading: a.heading + dh * s,
    }
}

fn advance_flights(
    mut commands: Commands,
    time: Res<Time>,
    mut cams: Query<(Entity, &mut OrbitCamera, &mut Flight)>,
    mouse: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
) {
    let manual = mouse.get_just_pressed().next().is_some()
        || keys.get_just_pressed().any(|k| {
            !matches!(
                k,
                KeyCode::Digit1
                    | KeyCode::Digit2
                    | KeyCode::Digit3
                    | KeyCode::Digit4
                    | KeyCode::Digit5
                    | KeyCode::Digit6
                    | KeyCode::Digit7
                    | KeyCode::Digit8
                    | KeyCode::Digit9
            )
        });
    for (entity, mut orbit, mut flight) in &mut cams {
        if manual {
            commands.entity(entity).remove::<Flight>();
            continue;
        }
        flight.elapsed_s += time.delta_secs();
        let t = if flight.duration_s <= 0.0 { 1.0 } else { (flight.elapsed_s / flight.duration_s).min(1.0) };
        *orbit = interpolate(&flight.from, &flight.to, t);
        if t >= 1.0 {
            commands.entity(entity).remove::<Flight>();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::time::TimeUpdateStrategy;
    use std::time::Duration;
    use twinhall_core::LonLat;

    #[test]
    fn interpolation_ends_exactly_and_turns_the_short_way() {
        let a = OrbitCamera { focus: Vec3::ZERO, distance_m: 100.0, pitch: 0.5, heading: 6.0 };
        let b = OrbitCamera { focus: Vec3::new(1000.0, 0.0, 0.0), distance_m: 300.0, pitch: 1.0, heading: 0.2 };
        assert_eq!(interpolate(&a, &b, 0.0), a);
        let end = interpolate(&a, &b, 1.0);
        assert!(end.focus.distance(b.focus) < 1e-3 && (end.distance_m - 300.0).abs() < 1e-3);
        assert!(((end.heading - b.heading).rem_euclid(std::f32::consts::TAU)).abs() < 1e-4);
        let mid = interpolate(&a, &b, 0.5);
        // 6.0 -> 0.2 rad goes up through 2*pi (0.48 rad), not down through pi (5.8 rad).
        assert!(mid.heading > 6.0, "{}", mid.heading);
        assert!(mid.distance_m > 200.0, "rises on a long hop");
    }

    #[test]
    fn a_fly_to_message_moves_the_camera_there_in_the_configured_time() {
        let settings = crate::settings::tests::settings_for(twinhall_core::config::CitySource::Generated(10));
        let city = crate::city::load_city(&settings).expect("city");
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(100)))
            .init_resource::<ButtonInput<MouseButton>>()
            .init_resource::<ButtonInput<KeyCode>>()
            .insert_resource(settings)
            .insert_resource(city)
            .add_plugins(plugin);
        let start = OrbitCamera { focus: Vec3::ZERO, distance_m: 1000.0, pitch: 0.8, heading: 0.0 };
        let cam = app.world_mut().spawn(start).id();
        app.update();
        let origin = app.world().resource::<City>().model.frame.origin();
        let target = LonLat::new(origin.lon + 0.01, origin.lat);
        app.world_mut().write_message(FlyTo {
            lonlat: target,
            altitude_m: 0.0,
            distance_m: 300.0,
            pitch_deg: 60.0,
            heading_deg: 90.0,
        });
        for _ in 0..25 {
            app.update();
        }
        let o = *app.world().get::<OrbitCamera>(cam).expect("camera");
        let want = target_orbit(
            app.world().resource::<City>(),
            &FlyTo { lonlat: target, altitude_m: 0.0, distance_m: 300.0, pitch_deg: 60.0, heading_deg: 90.0 },
        );
        assert!(o.focus.distance(want.focus) < 0.01, "{o:?} vs {want:?}");
        assert!(app.world().get::<Flight>(cam).is_none(), "the flight is over");
    }
}
