"""Who may do what: accounts and roles, sign-in sessions, API tokens, CSRF, and the guard that applies
the access rules (app/auth/policy.py) to every request before a route runs."""
