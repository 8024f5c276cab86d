// The Kubernetes channel protocol over WebSocket, as both ends of berth speak it: every binary
// message starts with its channel; v5 adds [255, channel] to close one (stdin's end).
export const channelProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

export const channels = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;

export type ChannelName = keyof typeof channels;

/** First byte of v5's message that closes the channel in its second byte. */
export const closeChannel = 255;
