"""The staff web console: aiohttp pages served by `faqbot run` on the same core and store.

Adding pages (the admin pages do it this way):

1. Write a module here, e.g. `bot/console/faq_pages.py`, with
   `def setup(console: Console) -> None` registering its routes:
   `console.get("/admin/faq", faq_list, access="admin")`,
   `console.post("/admin/faq/{entry_id}", save_entry, access="admin")`.
   `access` is "staff" (the default), "admin" (staff get a 403 page) or "public".
2. Add the module's name to `PAGE_MODULES` in `bot/console/server.py`.

The guard (server.py) has already checked the session, the role and, on every POST, the
CSRF token (form field `csrf_token` or header `X-CSRF-Token`) before a handler runs.
In a handler: `request.app[CONTEXT]` is the ConsoleContext (store, desk, kb, reloader,
clock, config, kick, notice); `session_of(request).user` is the signed-in ConsoleUser.
Answer with `render(request, "faq.html", {...})`: templates live in `templates/`,
extend "base.html" (block `content`, and `title`), and every form posts
`<input type="hidden" name="csrf_token" value="{{ csrf_token }}">`. Jinja autoescapes;
the Content-Security-Policy allows no inline script or style: put JavaScript in
`static/*.js` (loaded with `<script src=... defer>`) and styles in `static/*.css`.
The navigation bar links キュー, FAQ (/admin/faq), 学習 (/admin/learning) and
ダッシュボード (/admin/dashboard); `console.nav(label, path, access=...)` adds another link.
Record admin changes with `tx.audit.add(user.name, action, target, detail=..., now=...)`.
"""
