-- 0020: usage_packed leaves half of each page free, as usage_by_partner does (0018) (issue 13). A
-- usage file of a new or restated month rewrites the packed row of every tenant it names; with room
-- on the row's page the new version is a HOT update, which writes no new entry into the key's index
-- and leaves the old version to be pruned in place. On a copy of the dev database (200,000 tenants,
-- every one tied to a partner), a restated month loaded in 2.7-3.8 s instead of 3.7-4.7 s with the
-- pairs left alone, and in 5.0-5.5 s instead of 6.2-7.3 s with them kept. Pages written before this
-- migration keep no room until their rows move: VACUUM FULL usage_packed gives them room at once.
ALTER TABLE usage_packed SET (fillfactor = 50);
