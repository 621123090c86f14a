#!/usr/bin/env python3
"""Ground truth for jclip's text cleaning, made by running the original code.

Needs, on PYTHONPATH, the sources of ftfy 6.3.1 (github.com/rspeer/python-ftfy, tag v6.3.1), wcwidth
(github.com/jquast/wcwidth, which ftfy imports) and openai/CLIP (github.com/openai/CLIP, for
clip/simple_tokenizer.py), plus the `regex` package. None of that code is part of jclip; this script
only runs it. Example, with the three source trees exported under /tmp:

    PYTHONPATH=/tmp/ftfy-src:/tmp/wcwidth-src:/tmp/clip-src python3 clip/tools/ftfy_reference.py classes \
        > clip/src/main/resources/jclip/clip/text/ftfy-mojibake-classes.txt
    PYTHONPATH=/tmp/ftfy-src:/tmp/wcwidth-src:/tmp/clip-src python3 clip/tools/ftfy_reference.py cases \
        ../shared/data/bpe_simple_vocab_16e6.txt.gz > clip/src/test/resources/jclip/clip/text/ftfy-cases.json

`classes` writes the character classes of ftfy's mojibake heuristic (ftfy.badness), read off the
compiled regular expressions character by character, so that jclip's heuristic uses exactly the
characters ftfy uses. `cases` writes texts with what ftfy.fix_text makes of them, whether ftfy's heuristic finds them
bad (ftfy.badness.is_bad, on the text as given), what CLIP's
basic_clean + whitespace_clean + lower makes of them, and the CLIP token ids (with and without the
77-token context). An optional third argument to `cases` names a JSON list of extra input texts.
"""

import importlib.util
import json
import os
import re
import sys
import unicodedata


def load_simple_tokenizer():
    """clip/simple_tokenizer.py without clip/__init__.py (which needs torch)."""
    for root in sys.path:
        path = os.path.join(root, "clip", "simple_tokenizer.py")
        if os.path.exists(path):
            spec = importlib.util.spec_from_file_location("simple_tokenizer", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    sys.exit("clip/simple_tokenizer.py is not on PYTHONPATH (openai/CLIP sources)")


def classes():
    import ftfy
    from ftfy import badness

    assert ftfy.__version__ == "6.3.1", ftfy.__version__
    out = sys.stdout
    out.write(
        "# The character classes of the mojibake heuristic of ftfy %s (ftfy/badness.py, MOJIBAKE_CATEGORIES),\n"
        "# derived by running it: clip/tools/ftfy_reference.py tests every code point against each class.\n"
        "# One class a line: its name, then inclusive hex code point ranges (a-b or a).\n" % ftfy.__version__
    )
    for name, chars in badness.MOJIBAKE_CATEGORIES.items():
        pattern = re.compile("[" + chars + "]")
        members = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and pattern.fullmatch(chr(c))]
        ranges = []
        for c in members:
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1][1] = c
            else:
                ranges.append([c, c])
        parts = ["%X" % a if a == b else "%X-%X" % (a, b) for a, b in ranges]
        out.write(name + " " + " ".join(parts) + "\n")


def mojibake(text, encoding, times=1):
    """text as UTF-8 bytes read back with a single-byte codec, `times` times. The Windows code pages
    pass their undefined bytes through as C1 characters (ftfy's "sloppy" codecs), as real mojibake
    from such decoders does."""
    import ftfy.bad_codecs  # noqa: F401 (registers the sloppy codecs)

    codec = "sloppy-" + encoding if encoding.startswith("windows-") else encoding
    for _ in range(times):
        text = text.encode("utf-8").decode(codec)
    return text


def sloppy(text, encoding):
    """The same, with the bytes that the codec leaves undefined read as U+FFFD (a lossy decoder)."""
    return text.encode("utf-8").decode(encoding, errors="replace")


def case_texts():
    """Texts for every step of ftfy.fix_text; the expected results come from running the original."""
    t = []
    # ordinary text that every step must leave alone
    t += [
        "a photo of a cat.",
        "A Photo Of A DOG!!",
        "plain ASCII, digits 0123456789 and punctuation: ;'\"[]{}()<>?/\\|`~@#$%^*_+=-",
        "  leading and trailing spaces\tand\ttabs  ",
        "multiple\nlines\nof text\n",
        "caf\u00e9 na\u00efve r\u00e9sum\u00e9 fa\u00e7ade co\u00f6perate",
        "Stra\u00dfe \u00fcber \u00c4rger \u00d6l",
        "\u00a1Hola! \u00bfQu\u00e9 tal? \u00a9 2024 \u00ae \u00b0C \u00b12 \u00bd",
        "\u0141\u00f3d\u017a \u017c\u00f3\u0142w \u0159e\u0161en\u00ed \u0161\u010d\u0159\u017e\u00fd\u00e1\u00ed\u00e9",
        "\u041c\u043e\u0441\u043a\u0432\u0430 \u2014 \u0441\u0442\u043e\u043b\u0438\u0446\u0430 \u0420\u043e\u0441\u0441\u0438\u0438",
        "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u03ba\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1",
        "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
        "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd",
        "\u732b\u306e\u5199\u771f \u3053\u3093\u306b\u3061\u306f \u4e16\u754c",
        "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8",
        "\u0939\u093f\u0928\u094d\u0926\u0940 \u092a\u093e\u0920",
        "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22",
        "emoji \U0001F600\U0001F431\U0001F44D\U0001F3FD \u2764\ufe0f \U0001F1EB\U0001F1F7",
        "family \U0001F468\u200d\U0001F469\u200d\U0001F467 and flag \U0001F3F4\U000E0067\U000E0062\U000E0077\U000E006C\U000E0073\U000E007F",
        "math \u2211 \u221e \u2248 \u2260 \u2264 \u2265 \u00d7 \u00f7 \u221a\u03c0",
        "arrows \u2190 \u2192 \u2191 \u2193 and boxes \u2502\u250c\u2510 \u2588",
        "kaomoji \u00af\\_(\u30c4)_/\u00af (\u256f\u00b0\u25a1\u00b0\uff09\u256f\ufe35 \u253b\u2501\u253b",
        "\u00e0 la carte, d\u00e9j\u00e0 vu, voil\u00e0",
        "prices: \u00a35, \u20ac10, \u00a5300, \u00a220",
        "Se\u00f1or Mu\u00f1oz, \u00c5ngstr\u00f6m, \u00d8resund, \u00e6sthetic",
        "\u2018single\u2019 and \u201cdouble\u201d quotes are straightened",
        "ellipsis\u2026 en\u2013dash em\u2014dash bullet\u2022",
        "non\u00a0breaking\u00a0spaces",
        "zero\u200bwidth space and joiner\u200d and RTL mark\u200f",
        "tag chars \U000E0041\U000E0042 stay",
        "musical \U0001D173\U0001D174 controls stay",
    ]
    # Latin ligatures and digraphs
    t += [
        "\ufb01ne \ufb02ower",
        "\ufb00 \ufb03 \ufb04 \ufb05 \ufb06",
        "o\ufb03ce e\ufb00ort \ufb02u\ufb03est",
        "\u0132sselmeer \u0133s",
        "\u0149 \u01c4 \u01c5 \u01c6 \u01c7 \u01c8 \u01c9 \u01ca \u01cb \u01cc \u01f1 \u01f2 \u01f3",
        "\u00e6 \u0153 \u00c6 \u0152 stay as they are",
    ]
    # full-width and half-width forms
    t += [
        "\uff26\uff35\uff2c\uff2c",
        "\uff2c\uff2f\uff35\uff24\u3000\uff2e\uff2f\uff29\uff33\uff25\uff33",
        "\uff21\uff22\uff23\uff11\uff12\uff13\uff01\uff1f",
        "\uff48\uff45\uff4c\uff4c\uff4f\uff0c\u3000\uff57\uff4f\uff52\uff4c\uff44",
        "\uff35\uff80\uff70\uff9d",
        "\uff76\uff80\uff76\uff85 \uff8a\uff9f\uff9d",
        "\uffa1\uffa4 \uffe0\uffe1\uffe5\uffe6 \uffe8\uffed",
        "\uff08\u62ec\u5f27\uff09\uff3b\uff3d\uff5b\uff5d",
    ]
    # combining accents (NFC)
    t += [
        "a\u0301",
        "cafe\u0301",
        "e\u0301le\u0300ve",
        "n\u0303o",
        "A\u030a and \u212b",
        "\u1100\u1161\u11a8",
        "q\u0307\u0323 stays decomposed but reordered",
        "\u03b1\u0345\u03b2",
    ]
    # curly quotes and apostrophes
    t += [
        "\u201cQuoted\u201d and it\u2019s curly",
        "\u2018tis the season",
        "\u201ahigh\u201b \u201ehigh\u201f",
        "the Hawai\u02bbi and don\u02bct",
        "\u00abguillemets\u00bb and \u2039single\u203a stay",
    ]
    # line breaks
    t += [
        "one\r\ntwo\r\nthree",
        "old mac\rline\rbreaks",
        "unicode\u2028line\u2029paragraph",
        "next\u0085line",
        "mixed\r\n\r\n\n\rbreaks",
    ]
    # terminal escapes
    t += [
        "\033[31mred\033[0m text",
        "\033[36;44mI'm blue\033[0m",
        "\033[1;4;38;5;196mbold\033[m",
        "\033[Kerase \033[2J clear",
        "lone escape \033 and \033[ broken",
        "\033[\u0661\u0662m arabic digits count",
    ]
    # control characters
    t += [
        "bell\007 null\000 backspace\010",
        "vertical\013tab form\014feed",
        "file\034group\035record\036unit\037sep",
        "del\177ete",
        "\ufeffbyte order mark",
        "mid\ufeffdle",
        "deprecated\u206a\u206b\u206c\u206d\u206e\u206f arabic",
        "interlinear \ufff9anno\ufffatation\ufffb object\ufffc",
        "substitute\032char",
    ]
    # C1 controls
    t += [
        "\u0093smart\u0094 quotes from cp1252",
        "\u0080 euro \u0099 tm",
        "\u0081 \u008d \u008f \u0090 \u009d undefined in cp1252",
        "only \u0085 next line",
        "\u0096dash\u0097",
    ]
    # surrogates (lone ones are representable in a Python str and in JSON)
    t += [
        "\ud83d\ude00 a pair written as two code points",
        "lone high \ud83d here",
        "lone low \ude00 here",
        "reversed \ude00\ud83d pair",
    ]
    # HTML entities, and ftfy's rules about when not to decode them
    t += [
        "&amp; &lt; &gt; &quot; &apos;",
        "caf&eacute; &Eacute;cole",
        "P&EACUTE;REZ BUNDESSTRA&SZLIG;E",
        "&ntilde; &Ntilde; &NTILDE; &nTILDE;",
        "&Jscr;ohn &HilbertSpace;ancock &checkmark;",
        "&#x2019; &#8217; &#X41; &#65;",
        "&#128; &#x80; &#0; &#x110000;",
        "&#xD800; &#xFFFE; &#1;",
        "this&not that &amp no semicolon",
        "&notit; &notin; &copy2024",
        "&amp;amp;amp;amp;",
        "&EACUTE;t&eacute; &#x1F600;",
        "&averyveryveryverylongnamethatisnotanentity;",
        "&abcdefghijklmnopqrstuvwx; &abcdefghijklmnopqrstuvwxy;",
        "<b>bold</b> &amp; &eacute;",
        "<b>&amp;amp;amp;</b>",
        "line one &amp;amp;\n<line two> &amp;amp;",
        "first &eacute;\nsecond &eacute;\nthird < &eacute;\nfourth &eacute;",
        "a < b &amp; c",
        "&lt;tag&gt; is escaped",
        "&mdash; &hellip; &lsquo;quoted&rsquo; &ldquo;double&rdquo;",
        "&fflig; &filig; &nbsp;&nbsp;",
        "&AMP; &LT; &QUOT;",
    ]
    # mojibake: UTF-8 read as Windows-1252 / Latin-1, and ftfy's other encodings
    words = [
        "caf\u00e9",
        "\u201cquoted\u201d",
        "\u00e1",
        "Ma\u00f1ana es s\u00e1bado",
        "\u00e0 la carte",
        "it\u2019s",
        "\u2014 em dash",
        "na\u00efve r\u00e9sum\u00e9",
        "\u2714 No problems",
        "\u00a9 2024 \u2122",
        "\u00c5ngstr\u00f6m",
        "\u0160koda \u010ce\u0161tina",
        "\u00bfQu\u00e9? \u00a1S\u00ed!",
    ]
    for w in words:
        t.append(mojibake(w, "windows-1252"))
    for w in ["caf\u00e9", "\u00e1", "Ma\u00f1ana", "\u00c5ngstr\u00f6m", "d\u00e9j\u00e0 vu"]:
        t.append(mojibake(w, "latin-1"))
    t += [
        "caf\u00c3\u00a9",
        "\u00e2\u20ac\u0153quoted\u00e2\u20ac\u009d",
        "\u00c3\u00a1",
        "voil\u00c3 le travail",
        "\u00c3 quele",
        "\u00c2\u00a0non-breaking",
        "\u00e2\u0153\u201d No problems",
        "&macr;\\_(\u00e3\x83\x84)_/&macr;",
        "The Mona Lisa doesn\u00e2\u20ac\u2122t have eyebrows.",
        "\u00e2\u20ac\u0153 like this \u00e2\u20ac\ufffd",
        "\u00e2\u20ac\u0153Hello\u00e2\u20ac? said he",
        "\u00c3\u00a9\u00c3\u00a8\u00c3\u00aa\u00c3\u00ab",
        "\u00d0\u0178\u00d1\u20ac\u00d0\u00b8\u00d0\u00b2\u00d0\u00b5\u00d1\u201a",
    ]
    # doubly encoded
    for w in ["caf\u00e9", "\u201cquoted\u201d", "na\u00efve", "it\u2019s"]:
        t.append(mojibake(w, "windows-1252", times=2))
    t.append(mojibake("caf\u00e9", "latin-1", times=2))
    # other single-byte encodings ftfy tries
    t += [
        mojibake("\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440", "windows-1252"),
        mojibake("caf\u00e9 \u2014 \u00fcber", "windows-1251"),
        mojibake("\u00c5ngstr\u00f6m \u2013 \u00e9t\u00e9", "windows-1251"),
        mojibake("\u201cquoted\u201d", "windows-1251"),
        mojibake("\u017elu\u0165ou\u010dk\u00fd k\u016f\u0148", "windows-1250"),
        mojibake("caf\u00e9 \u2019s", "windows-1250"),
        mojibake("caf\u00e9 \u2019s", "windows-1253"),
        mojibake("\u00e9t\u00e9 \u2013", "windows-1253"),
        mojibake("caf\u00e9 \u00fcber", "windows-1254"),
        mojibake("caf\u00e9 \u00fcber", "windows-1257"),
        mojibake("caf\u00e9 \u00fcber", "iso-8859-2"),
        mojibake("caf\u00e9 \u2014 na\u00efve", "mac_roman"),
        mojibake("\u201cquoted\u201d", "mac_roman"),
        mojibake("caf\u00e9 \u00fcber", "cp437"),
        mojibake("\u00e9t\u00e9", "cp437"),
        mojibake("\u0645\u0631\u062d\u0628\u0627", "windows-1252"),
        mojibake("\u0939\u093f\u0928\u094d\u0926\u0940", "windows-1252"),
        mojibake("\u732b\u306e\u5199\u771f", "windows-1252"),
        mojibake("emoji \U0001F600", "windows-1252"),
        mojibake("\u03ba\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1", "windows-1252"),
    ]
    # lossy decoders: undefined bytes became U+FFFD or '?'
    t += [
        sloppy("\u201cquoted\u201d", "windows-1252"),
        sloppy("\u00c1rv\u00edzt\u0171r\u0151", "windows-1252"),
        "caf\u00c3? ok",
        "\u00e2\u20ac? dash",
        "\ufffd alone",
        "caf\u00c3\ufffd",
    ]
    # mixed: embedded mojibake in otherwise good text (decode_inconsistent_utf8)
    t += [
        "caf\u00e9 and caf\u00c3\u00a9",
        "\u201cgood\u201d and \u00e2\u20ac\u0153bad\u00e2\u20ac\u009d",
        "\u2014 fine \u00e2\u20ac\u201d broken",
        "\u00fcber \u00c3\u00bcber",
        "\u041c\u043e\u0441\u043a\u0432\u0430 \u00d0\u0153\u00d0\u00be\u00d1\u0081\u00d0\u00ba\u00d0\u00b2\u00d0\u00b0",
        "the CESU-8 \u00ed\u00a0\u00bd\u00ed\u00b8\u0080 smile",
        "java null \u00c0\u0080 byte",
        "\u00e2\u20ac\u0153mixed\u00e2\u20ac\u009d on line one\nand caf\u00e9 on line two",
    ]
    # text that looks like mojibake but ftfy leaves alone
    t += [
        "\u00c3 la mode",
        "Ren\u00e9e \u00c3\u00a0",
        "I \u2665 NY \u00a2",
        "\u00c2 is a letter",
        "\u00d0\u00f0 eth",
        "10\u00b0C and 5\u00b2",
        "\u00bd cup \u00bc cup",
        "\u00a7 12 \u00b6 3",
        "\u00ac\u00ac not not",
        "\u00c9COLE",
        "\u00aa \u00ba",
        "\u0420\u0435\u0431\u044f\u0442\u0430",
        "\u00c3\u0192",
        "\u00e2\u20ac",
        "\u00c3",
        "\u00ef\u00bb\u00bfBOM as mojibake",
    ]
    # several fixes at once
    t += [
        "\ufb01ne\u00a0\u201ccaf\u00c3\u00a9\u201d\r\n\uff26\uff35\uff2c\uff2c &amp; \033[1mbold\033[0m",
        "\u0093caf\u00c3\u00a9\u0094",
        "&lt;caf\u00c3\u00a9&gt;",
        "caf&Atilde;&copy;",
        "&ATILDE;&SUP3;",
        "  \u00e2\u20ac\u0153 spaced \u00e2\u20ac\u009d  ",
        "e\u0301 \ufb01 \uff21 \u2019 \r\n \033[0m \000 \u0093",
        "A" * 100 + " long text is truncated to 77 tokens " + "b " * 80,
    ]
    return t


def cases(merges, extra=None):
    import ftfy
    from ftfy.badness import is_bad

    assert ftfy.__version__ == "6.3.1", ftfy.__version__
    st = load_simple_tokenizer()
    tok = st.SimpleTokenizer(bpe_path=merges)
    sot = tok.encoder["<|startoftext|>"]
    eot = tok.encoder["<|endoftext|>"]
    texts = case_texts()
    if extra:
        with open(extra, encoding="utf-8") as f:
            texts += json.load(f)
    seen = set()
    out = []
    for text in texts:
        if text in seen:
            continue
        seen.add(text)
        ids = tok.encode(text)
        row = [sot] + ids + [eot]
        if len(row) > 77:
            row = row[:77]
            row[-1] = eot
        row += [0] * (77 - len(row))
        out.append({
            "text": text,
            "fixed": ftfy.fix_text(text),
            "is_bad": is_bad(text),
            "cleaned": st.whitespace_clean(st.basic_clean(text)).lower(),
            "ids": ids,
            "context77": row,
        })
    json.dump(out, sys.stdout, ensure_ascii=True, indent=1)
    sys.stdout.write("\n")
    print("%d cases (ftfy %s, unicodedata %s)" % (len(out), ftfy.__version__, unicodedata.unidata_version),
          file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "classes":
        classes()
    elif len(sys.argv) >= 3 and sys.argv[1] == "cases":
        cases(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        sys.exit(__doc__)
