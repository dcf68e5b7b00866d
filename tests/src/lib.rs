//! Test support shared by the integration tests (`tests/it/`) and the benchmarks (`benches/`).

pub mod example_outcome;
pub mod push_fixture;
pub mod redis_server;
