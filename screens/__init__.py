"""The Kivy touch UI. Entry point: `screens.app.run_kiosk(core, ...)`.

Layout: `viewmodels/` (plain Python state and actions, no Kivy, tested without a window),
`views/` (one module + one .kv file per screen: layout and bindings only), `widgets/`
(keyboard, rows, QR), `locale/` (gettext catalogs), `data/` (the pinyin lexicon), and the
start-up pieces `boot.py` (environment, window, fonts before Kivy loads) and `kivyapp.py`.
"""
