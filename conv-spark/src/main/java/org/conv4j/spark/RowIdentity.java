package org.conv4j.spark;

import java.io.Serializable;

import org.apache.spark.sql.Row;

/**
 * How an error message names a row: its index within its partition, the partition, and the value of a
 * user-chosen id column if there is one, e.g. {@code row 17 of partition 3 (id = "img-0042")}.
 */
final class RowIdentity implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String idColumn;
    private final int idField;

    /** @param idColumn the id column's name, or null; @param idField its index in the row (ignored if null) */
    RowIdentity(String idColumn, int idField) {
        this.idColumn = idColumn;
        this.idField = idField;
    }

    String describe(Row row, long indexInPartition, int partition) {
        String s = "row " + indexInPartition + " of partition " + partition;
        if (idColumn != null) {
            Object id = row.isNullAt(idField) ? null : row.get(idField);
            s += " (" + idColumn + " = " + (id instanceof String ? "\"" + id + "\"" : String.valueOf(id)) + ")";
        }
        return s;
    }
}
