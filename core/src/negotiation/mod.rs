//! negotiation layer (see lib.rs for the layering).
