"""422 bodies: the location and message of each validation error, without the input echoed back and without the
noise of union fields (a text over the length limit is `str | list[str]`: pydantic also reports that it is not a
list; once one branch accepted the type, the other branches' "should be a valid ..." says nothing)."""


def _is_branch(part) -> bool:
    """pydantic's name of a union branch in an error location, e.g. 'list[function-after[...]]'."""
    return isinstance(part, str) and ("[" in part or "(" in part or part.startswith("constrained-"))


def _base(loc: tuple) -> tuple:
    """The location up to its first union branch."""
    for i, part in enumerate(loc):
        if _is_branch(part):
            return tuple(loc[:i])
    return tuple(loc)


def validation_errors(errors: list[dict]) -> list[dict]:
    """[{loc, msg}] for a 422 answer, deduplicated, union-branch type mismatches dropped where another branch got
    past its type check."""
    typed = {_base(tuple(e.get("loc", ()))) for e in errors
             if any(_is_branch(p) for p in e.get("loc", ())) and not str(e.get("type", "")).endswith("_type")}
    out = []
    for e in errors:
        loc = tuple(e.get("loc", ()))
        branched = any(_is_branch(p) for p in loc)
        if branched and str(e.get("type", "")).endswith("_type") and _base(loc) in typed:
            continue
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        item = {"loc": [p for p in loc if not _is_branch(p)], "msg": msg}
        if item not in out:
            out.append(item)
    return out
