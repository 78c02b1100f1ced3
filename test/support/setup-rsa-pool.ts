import { usePool } from './rsa-pool';

// Each test file starts handing out the pool's keys from its first (test/support/rsa-pool.ts).
usePool(process.env.GRMS_TEST_RSA_POOL);
