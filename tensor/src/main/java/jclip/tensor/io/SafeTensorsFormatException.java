package jclip.tensor.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file that does not follow the format. The message always starts with the file's path,
 * then the problem, naming the tensor key where there is one.
 */
final class SafeTensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    SafeTensorsFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    SafeTensorsFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
