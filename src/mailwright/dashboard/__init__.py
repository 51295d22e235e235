"""The web dashboard at /dashboard: server-rendered pages over the same services the API faces
call, for customers (signed in with an API key) and operators (with an operator key)."""

PREFIX = "/dashboard"
