package jclip.spark;

import jclip.clip.data.ImageReader;

/**
 * One image to embed, made inside a task: its id in the output and how to get its pixels. Reading
 * is deferred so that decoding runs in the task that embeds it, a batch at a time.
 */
record ImageInput(String id, ImageReader image) {}
