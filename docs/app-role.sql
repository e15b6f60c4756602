-- The role the app runs as: it reads and writes the tables and owns none of them, so it cannot drop
-- or disable the audit log's triggers, nor TRUNCATE. Run by a superuser once the owner role exists
-- (docs/deploy.md, "Running the app as a role that owns nothing"); psql fills in the variables:
--   psql -d llm_tco -v owner=llm_tco -v app=llm_tco_app -v password='...' -v schema=public -f docs/app-role.sql
CREATE ROLE :"app" LOGIN PASSWORD :'password';
GRANT CONNECT ON DATABASE :"DBNAME" TO :"app";
GRANT USAGE ON SCHEMA :"schema" TO :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA :"schema" TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA :"schema" TO :"app";
-- Tables and sequences that the owner's later migrations create:
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";
