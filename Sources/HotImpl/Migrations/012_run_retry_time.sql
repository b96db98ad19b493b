-- When a failed run's retry is due (`next_retry_at` of the API's runs): set as the run fails with
-- retries left, in the statement that records its end, so its run:fail message carries it too.
ALTER TABLE run ADD COLUMN next_retry_at timestamptz;
