package jclip.spark;

/** One text to embed: its id in the output and the text (null when the row has none). */
record TextInput(String id, String text) {}
