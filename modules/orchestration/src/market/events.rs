//! Event types of the marketplace (attributes listed per event).

/// `function_id`, `owner`, `name`, `price`, `tags` (comma-separated).
pub const LISTING_PUBLISHED: &str = "bls.listing_published";
/// `function_id`, `owner`, `name`, `price`, `tags` (comma-separated).
pub const LISTING_UPDATED: &str = "bls.listing_updated";
/// `function_id`, `owner`.
pub const FUNCTION_UNLISTED: &str = "bls.function_unlisted";
/// `function_id`, `owner`, `amount`, `job_id` (0 for the fast path), `request_id` (hex;
/// empty on chain): an invocation paid the owner its price.
pub const ROYALTY_PAID: &str = "bls.royalty_paid";
