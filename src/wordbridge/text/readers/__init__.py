"""Readers of the everyday, narrative and game-help sources (issue 21): one small module per input format, each
yielding (french, english) pairs and calling `on_skip(file, why)` for a file it cannot use (text/skips.py).

gettext_catalogs (.po/.mo through polib: FreeDink, Freeciv, SuperTux, Flare, Pingus, Frozen Bubble), wesnoth (.mo with
`xxx^` prefixes, Pango markup and story paragraphs), lua_dialogs (Fish Fillets), qt_qm and qt_rcc (GCompris),
cldr_json (emoji names), cldr_babel (CLDR names through babel), java_properties (FreeCol), openttd_lng (OpenTTD),
ddtp (Debian package descriptions).
"""
