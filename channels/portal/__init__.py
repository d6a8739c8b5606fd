"""The citizen portal's pages: the PQRD form and the status page (server-rendered, no JavaScript needed)."""
