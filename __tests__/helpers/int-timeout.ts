// Integration tests spawn processes and talk to the local S3: on a busy 2-core machine the
// first run of the bundle alone can take seconds, so they get 30 s (not Jest's 5 s) by default.
import { jest } from '@jest/globals'

jest.setTimeout(30_000)
