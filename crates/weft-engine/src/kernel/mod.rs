//! kernel (being written).
