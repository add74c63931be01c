-- 0022: result documents and snapshot details are stored as text, not json (issue 13).
--
-- The json type is text checked on the way in: PostgreSQL lexes every byte of every value it is
-- given. A refresh writes about 12 KB of document per partner and a track object per snapshot, all
-- produced by the scorer's serializer (scorer/pcs_doctext.c, checked against jansson's output in its
-- tests), and the json lexer was the writers' hottest code. Readers lose nothing: json's operators
-- parse the text on every use, so `document::json -> 'areas'` costs what `document -> 'areas'` did.
-- On the dev database (10,000 partners, two scorers, four alternations) a refresh's writers took
-- 1.52-1.71 s of CPU instead of 1.92-2.18 s, and the refresh 2.71-3.10 s instead of 2.89-3.31 s.
--
-- Both tables are rewritten once (every stored value, under an exclusive lock). Changing the type
-- drops the column's compression setting, so it is set again with it (lz4, as 0009; where
-- PostgreSQL was built without lz4 the columns keep the default).
DO $$
BEGIN
    ALTER TABLE score_results ALTER COLUMN document TYPE text USING document::text,
        ALTER COLUMN document SET COMPRESSION lz4;
    ALTER TABLE score_snapshots ALTER COLUMN detail TYPE text USING detail::text,
        ALTER COLUMN detail SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    ALTER TABLE score_results ALTER COLUMN document TYPE text USING document::text;
    ALTER TABLE score_snapshots ALTER COLUMN detail TYPE text USING detail::text;
END
$$;
