/**
 * A second process on a data folder, for tests/client/fileStorage.test.ts:
 *   node --import tsx tests/client/fileStorage.child.ts <dir> hold           takes the lock, says "held", waits
 *   node --import tsx tests/client/fileStorage.child.ts <dir> store <id>     also stores a message, says "stored"
 *   node --import tsx tests/client/fileStorage.child.ts <dir> exit           says "held", exits without close()
 * On SIGTERM it closes the storage (releasing the lock) and exits.
 */
import { createFileStorage } from '../../src/client';

const [dir, mode, clientId] = process.argv.slice(2);
if (!dir || !mode) throw new Error('usage: fileStorage.child.ts <dir> hold|store <clientId>|exit');

const storage = createFileStorage({ dir });
process.once('SIGTERM', () => {
  void storage.close().then(() => process.exit(0));
});

if (!(await storage.acquire())) throw new Error('closed before the lock was held');
process.stdout.write('held\n');
if (mode === 'exit') process.exit(0);
storage.open();
if (mode === 'store') {
  await storage.putOutgoing('alice', {
    clientId: clientId ?? 'from-the-child',
    to: 'bob',
    content: 'written before the crash',
    createdAt: Date.now(),
  });
  process.stdout.write('stored\n');
}
// Holds the folder until it is killed.
setInterval(() => {}, 60_000);
