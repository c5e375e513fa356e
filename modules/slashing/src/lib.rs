//! bls-slashing (in progress).
