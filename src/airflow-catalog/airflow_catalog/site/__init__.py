"""The built site: its Pagefind search index and the watch-and-rebuild server."""
