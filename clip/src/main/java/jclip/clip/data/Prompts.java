package jclip.clip.data;

/** Filling prompt templates with class names, shared by caption generation and zero-shot evaluation. */
public final class Prompts {
    private Prompts() {}

    /**
     * The template with {@code {}} replaced by the class name; an article "a" right before the
     * name becomes "an" when the name starts with a vowel ("a photo of an ankle boot.").
     */
    public static String fill(String template, String className) {
        int at = template.indexOf("{}");
        if (at < 0) throw new IllegalArgumentException("template has no {}: " + template);
        String before = template.substring(0, at);
        if (startsWithVowel(className) && (before.equals("a ") || before.endsWith(" a ")))
            before = before.substring(0, before.length() - 2) + "an ";
        else if (startsWithVowel(className) && (before.equals("A ") || before.endsWith(" A ")))
            before = before.substring(0, before.length() - 2) + "An ";
        return before + className + template.substring(at + 2).replace("{}", className);
    }

    /** "a" or "an" for the word. */
    static String article(String word) {
        return startsWithVowel(word) ? "an" : "a";
    }

    private static boolean startsWithVowel(String s) {
        return !s.isEmpty() && "aeiouAEIOU".indexOf(s.charAt(0)) >= 0;
    }
}
