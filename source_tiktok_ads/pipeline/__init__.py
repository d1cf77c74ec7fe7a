"""The read: how a page travels from TikTok's answer to stdout.

- `session`: one read's pipeline, set up before the CDK reads the streams and taken down after;
- `plan`: every (stream, slice) of the read, in the order the CDK reads them, and what they cost;
- `workers`: the fetch-ahead executor, whose threads fetch the planned slices' pages;
- `page_permits`: the permits that bound how many pages wait ahead of the reader;
- `feed`: one slice's pages, handed from its worker to the reader;
- `listing`: the later pages of one listing, offered to idle workers through the handle a listing is given;
- `events`: what passes between a worker and the reader;
- `encoder`: how pages become output (a page of RECORD lines, or a message per record);
- `progress`: the progress lines of the log.

Streams keep what is theirs (slices, the listings of a slice, the transform of a record); the CDK
specifics of the read loop are in `cdk_adapter`.
"""
