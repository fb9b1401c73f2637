//! Linux readers (being written).
