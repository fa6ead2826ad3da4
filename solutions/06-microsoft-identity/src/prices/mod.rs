//! Placeholder: the managed identity client and `/api/prices`.
