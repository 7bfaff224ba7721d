-- Run once by the postgres image when its volume is empty (/docker-entrypoint-initdb.d): one database per
-- DistStack node, as a node's journal must never share its tables with another node's.
CREATE DATABASE node1;
CREATE DATABASE node2;
CREATE DATABASE node3;
CREATE DATABASE node4;
CREATE DATABASE node5;
