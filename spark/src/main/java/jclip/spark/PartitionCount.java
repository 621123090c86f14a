package jclip.spark;

import java.io.Serializable;

/** What one partition's task embedded: items seen and how many of them were bad. Sent to the driver through an accumulator. */
record PartitionCount(int partition, long items, long bad) implements Serializable {
    private static final long serialVersionUID = 1L;
}
