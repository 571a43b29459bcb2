/**
 * `node dist/bin/example-application.js > application.json`: the API document's example application,
 * its policy starting tomorrow (Moscow), for trying the partner API with curl.
 */
import { todayInMoscow } from '../lib/dates';
import { applicationExample } from '../services/gateway/openapi/examples';

process.stdout.write(JSON.stringify(applicationExample(todayInMoscow()), null, 2) + '\n');
