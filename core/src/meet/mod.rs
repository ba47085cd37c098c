//! meet layer (see lib.rs for the layering).
