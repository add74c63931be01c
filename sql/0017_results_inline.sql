-- 0017: a result document is kept in its row, compressed, instead of in score_results' TOAST
-- table. A document is about 12 KB of JSON and about 2 KB once compressed with lz4 (0009), just
-- over the 2 KB at which PostgreSQL moves a value out of the row: every document stored cost a
-- row, two TOAST chunks and two TOAST index entries, and every read fetched them back. With
-- toast_tuple_target at its maximum a compressed document stays in the row unless it is still
-- larger than a page; the scorer's staging table does the same (scorer/pcs_refresh.c). Rows
-- already stored stay as they are. Copying 10,000 documents from staging into the table took
-- 124-146 ms instead of 163-226 ms (issue 13).
ALTER TABLE score_results SET (toast_tuple_target = 8160);
