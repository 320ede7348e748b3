"""The store's parts: one module per thing stored, composed into `storage.store.Store`."""
