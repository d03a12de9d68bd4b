"""A run's settings as keyword arguments: lrlab.train and lrlab.sweep take every field of TrainConfig by name, and
their signatures, help and the command line's options are generated from the fields, so a new field is one edit."""

import inspect

from lrlab.config import DEFAULTS, config_fields, settings_help


def takes_settings(function):
    """Give `function(..., **settings)` the signature and help of every TrainConfig field it takes by name (all but
    lr and profile; seed too where the function has seeds), defaults from DEFAULTS, so that help(), Jupyter's
    Shift-Tab and inspect.signature show them."""
    signature = inspect.signature(function)
    own = [p for p in signature.parameters.values() if p.kind != p.VAR_KEYWORD]
    names = {p.name for p in own}
    added = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=getattr(DEFAULTS, f.name),
                               annotation=f.type)
             for f in config_fields(cli=True) if f.name not in names and not (f.name == "seed" and "seeds" in names)]
    keyword = [p for p in own if p.kind == p.KEYWORD_ONLY]
    positional = [p for p in own if p.kind != p.KEYWORD_ONLY]
    function.__signature__ = signature.replace(parameters=positional + keyword[:1] + added + keyword[1:])
    function.__doc__ = (function.__doc__ or "") + "\n    Settings (TrainConfig's fields):" + settings_help()
    return function


def cli_options(parser) -> None:
    """One command-line option per TrainConfig field the command line sets (--batch-size 64 ...), with its type,
    choices, default and help from the field; seed becomes --seeds (one run per seed)."""
    for field in config_fields(cli=True):
        default = getattr(DEFAULTS, field.name)
        kind = type(default) if default is not None else int  # the None fields are counts (a subset's size)
        if field.name == "seed":
            parser.add_argument("--seeds", type=int, nargs="+", default=[default], help=f"default {default}")
            continue
        parser.add_argument("--" + field.name.replace("_", "-"), type=kind, default=default,
                            choices=field.metadata.get("choices"),
                            help=f"{field.metadata['help']} (default {default})")
