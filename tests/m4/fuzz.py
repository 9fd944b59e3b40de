# fuzz.py CORPUS_DIR OUT_DIR COUNT: writes COUNT mutated m4 inputs
# (OUT_DIR/NNN.m4) made from CORPUS_DIR/*.m4 with a fixed seed, so every
# run of the test sees the same inputs.  Mutations: deleted, duplicated
# and swapped spans, m4 tokens inserted, bytes replaced, splices of two
# files.
import os
import random
import sys

TOKENS = [
    "`", "'", "(", ")", ",", "$1", "$2", "$@", "$*", "$#", "$0", "dnl",
    "dnl\n", "define(`x',", "define(`x', `$1$1')", "x(", "x", "\n", "#",
    "changequote([,])", "changequote", "changequote(<<,>>)", "[", "]",
    "changecom(/*,*/)", "changecom", "/*", "*/", "divert(1)", "divert(-1)",
    "divert", "undivert", "undivert(1)", "divnum", "m4wrap(`w')", "shift(",
    "ifelse(", "ifdef(`x',", "eval(", "1/0", "2**", "0x", "translit(",
    "patsubst(", "regexp(", "\\(", "\\)", "*", "+", "substr(", "index(",
    "len(", "incr(", "decr(", "defn(`define')", "defn(`len')", "pushdef(",
    "popdef(", "undefine(", "indir(", "format(`%d',", "format(`%s %5.2f',",
    "__line__", "__file__", "__program__", "m4exit(", "m4exit(3)",
    "include(", "sinclude(", "errprint(", "dumpdef", "traceon", "traceoff",
    "debugmode(`aeq')", "`'", "''", "``", ")))", "(((", ",,", " ", "\t",
]


def mutate(rng, data, corpus):
    ops = rng.randint(1, 4)
    for _ in range(ops):
        op = rng.randrange(6)
        n = len(data)
        if op == 0 and n:
            a = rng.randrange(n)
            data = data[:a] + data[a + rng.randint(1, 20):]
        elif op == 1 and n:
            a = rng.randrange(n)
            b = min(n, a + rng.randint(1, 40))
            data = data[:b] + data[a:b] + data[b:]
        elif op == 2:
            a = rng.randint(0, n)
            tok = rng.choice(TOKENS).encode()
            data = data[:a] + tok + data[a:]
        elif op == 3 and n:
            a = rng.randrange(n)
            c = rng.choice(b"`'(),$#\n dnlx[]*0123456789\\")
            data = data[:a] + bytes([c]) + data[a + 1:]
        elif op == 4 and n > 2:
            a = rng.randrange(n - 1)
            b = rng.randrange(a + 1, n)
            data = data[:a] + data[b:b + 1] + data[a + 1:b] + \
                data[a:a + 1] + data[b + 1:]
        else:
            other = rng.choice(corpus)
            a = rng.randint(0, len(data))
            b = rng.randint(0, len(other))
            data = data[:a] + other[b:b + rng.randint(1, 200)]
    return data


def main():
    src, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    names = sorted(f for f in os.listdir(src) if f.endswith(".m4"))
    corpus = []
    for name in names:
        with open(os.path.join(src, name), "rb") as f:
            corpus.append(f.read())
    rng = random.Random(20240607)
    for i in range(count):
        data = mutate(rng, rng.choice(corpus), corpus)
        with open(os.path.join(out, "%03d.m4" % i), "wb") as f:
            f.write(data)


main()
