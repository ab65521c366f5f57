//! TEMPORARY stand-in.
pub fn increase(previous: f64, current: f64) -> f64 {
    if current < previous {
        current
    } else {
        current - previous
    }
}
