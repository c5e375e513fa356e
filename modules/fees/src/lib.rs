//! bls-fees (in progress).
