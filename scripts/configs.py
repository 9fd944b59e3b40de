#!/usr/bin/python3
"""configs.py: configurations made through kconfiglib's Python API.

  configs.py random SEED OUT     a random configuration (bools on or off)
  configs.py single APPLET[,APPLET] OUT   allnoconfig plus those applets (and what they need)
  configs.py applets             the applet symbols, one per line

Run from the source tree with Debian's /usr/bin/python3 (kconfiglib is
python3-kconfiglib).  Every symbol that changes is set as a user value and
the result goes through kconfiglib's own dependency evaluation, so the
written .config is always one Kconfig allows.
"""
import random
import sys

import kconfiglib


def load():
    return kconfiglib.Kconfig("Kconfig", warn_to_stderr=False)


def applet_syms(kconf):
    # The applets' symbols are the ones defined in the generated menu.
    return [s for s in kconf.unique_defined_syms
            if any(n.filename.endswith("Kconfig.applets") and
                   n.item is s and n.parent and n.parent.prompt and
                   n.parent.prompt[0] == "Applets" for n in s.nodes)]


def main(argv):
    kconf = load()
    if argv[1] == "applets":
        for s in applet_syms(kconf):
            print(s.name)
        return 0
    if argv[1] == "random":
        rnd = random.Random(int(argv[2]))
        bools = [s for s in kconf.unique_defined_syms
                 if s.orig_type == kconfiglib.BOOL]
        # Twice: a symbol may become visible once another is set.
        for _ in range(2):
            for s in bools:
                s.set_value(2 if rnd.random() < 0.5 else 0)
        kconf.write_config(argv[3], header="# random seed %s\n" % argv[2])
        return 0
    if argv[1] == "single":
        for s in kconf.unique_defined_syms:
            if s.orig_type == kconfiglib.BOOL:
                s.set_value(0)
        names = argv[2].upper().replace("-", "_").split(",")
        for name in names:
            want = kconf.syms.get(name)
            if want is None:
                print("configs.py: no symbol " + name, file=sys.stderr)
                return 1
            # Switch on what the applet depends on, then the applet.
            for dep in kconfiglib.expr_items(want.direct_dep):
                if isinstance(dep, kconfiglib.Symbol) and \
                        dep.orig_type == kconfiglib.BOOL:
                    dep.set_value(2)
            want.set_value(2)
        kconf.write_config(argv[3], header="# only %s\n" % " ".join(names))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
