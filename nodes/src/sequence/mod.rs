//! Node-RED's "sequence" palette: nodes that cut messages into sequences
//! (`split`), put sequences back together (`join`), reorder them (`sort`)
//! and make sequences out of streams (`batch`), all through `msg.parts`.

pub mod batch;
pub mod group;
pub mod join;
pub mod parts;
pub mod sort;
pub mod split;

#[cfg(test)]
mod tests;
