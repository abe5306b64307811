//! Sampled sources (being written).
