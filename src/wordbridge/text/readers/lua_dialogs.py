"""Fish Fillets NG dialog scripts (`<level>/{,demo_,brief_}dialogs_fr.lua`) -> (french, english) pairs.

Each file is a run of Lua calls, `dialogId("id", "font", "ENGLISH")` then `dialogStr("FRENCH")`. The file is run by
Lua itself (lupa, with Lua's own string escapes and quoting) as text (no bytecode) in an environment holding only
those two functions: no `os`, `io`, `require` or `load`. A file that does not run is skipped with one `on_skip` line.
"""

from pathlib import Path
from typing import Iterator

from lupa import LuaError, LuaRuntime

from wordbridge.text.help_pages import Pair
from wordbridge.text.readers.common import keep_pair
from wordbridge.text.skips import OnSkip, warn_skip

_RUN = """
return function(source, name, dialogId, dialogStr)
    local chunk, err = load(source, name, "t", {dialogId = dialogId, dialogStr = dialogStr})
    if not chunk then error(err, 0) end
    chunk()
end
"""


def dialog_pairs(source: str, name: str = "dialogs") -> list[tuple[str, str, str]]:
    """(id, english, french) of every dialogId/dialogStr call of a script; LuaError when it does not run."""
    runtime = LuaRuntime(register_eval=False, register_builtins=False)
    found: list[tuple[str, str, str]] = []
    current: list[str] = []

    def dialog_id(ident, font=None, english=None, *rest):
        current[:] = [str(ident), "" if english is None else str(english)]

    def dialog_str(french, *rest):
        if current:
            found.append((current[0], current[1], str(french)))
            current.clear()

    runtime.execute(_RUN)(source, name, dialog_id, dialog_str)
    return found


def read_fillets(root: str | Path, french: str = "fr", on_skip: OnSkip = warn_skip) -> Iterator[Pair]:
    """Pairs of every `*dialogs_<french>.lua` below ROOT (each level folder of fillets-ng's `script/`)."""
    for path in sorted(Path(root).rglob(f"*dialogs_{french}.lua")):
        try:
            rows = dialog_pairs(path.read_text(encoding="utf-8"), path.name)
        except (OSError, UnicodeDecodeError, LuaError) as exc:
            on_skip(path, f"not a dialog script ({' '.join(str(exc).split())[:200]})")
            continue
        for _, en, fr in rows:
            if pair := keep_pair(fr, en):
                yield pair
