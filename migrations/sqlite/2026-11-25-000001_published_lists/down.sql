DROP TABLE published_lists;
