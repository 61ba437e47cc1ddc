ALTER TABLE users ADD email text;
-- down: ALTER TABLE users DROP email;
