//! Progress display (to come).
